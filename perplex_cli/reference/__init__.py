"""The documentation and completion scripts generated from the command tree."""
