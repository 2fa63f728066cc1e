"""The podrender command: click, over the public API."""
