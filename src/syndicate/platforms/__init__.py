"""Platform adapters, one module per network, behind `platforms.base.Publisher`."""
