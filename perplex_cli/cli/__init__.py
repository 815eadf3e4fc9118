"""The command line: argv -> the one command that runs, built lazily."""
