"""The foundation every area stands on: the database handle, settings, time, parameters, tabular
import, text, exports, errors and the domain events (docs/architecture.md)."""
