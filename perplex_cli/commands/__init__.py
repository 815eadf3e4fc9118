"""The commands, one module each: they wire a request to the API and an output."""
