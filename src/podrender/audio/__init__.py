"""One unit to one checked, levelled, encoded chunk: synthesis, loudness, resampling, encoding."""
