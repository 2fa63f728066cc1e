"""Reading a transcript: bytes to text (source), format detection and parsers (formats), the Script (script)."""
