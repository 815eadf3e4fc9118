"""What perplex keeps on this machine: config, key, the log of exchanges."""
