"""Lambda handlers the program packages (their files are the function code)."""
