"""fearsim: a Brian2 spiking model of prefrontal-amygdala fear circuits."""

__version__ = "0.1.0"
