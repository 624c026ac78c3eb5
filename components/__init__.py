"""One ComponentResource per concern; see the README's architecture section."""
