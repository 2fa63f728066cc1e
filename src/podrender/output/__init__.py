"""From chunks to files: timeline, MP3 tag and write, other formats, manifest, sidecars, feed, cast sheet."""
