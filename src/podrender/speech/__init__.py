"""From a Script to what each voice says: normalization, casting, chapters and the plan of units."""
