"""remission: relapsed/refractory B-ALL courses under CD19-directed immunotherapy."""

__version__ = "0.1.0"
