"""HTTP: the session, retries, guards and the SSE byte stream."""
