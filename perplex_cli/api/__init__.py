"""The two API protocols (chat completions, Agent API) and the JSON endpoints, behind one seam."""
