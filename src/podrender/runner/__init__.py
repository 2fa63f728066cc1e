"""The performance machinery: the zygote, the worker pool and the console command's launch."""
