"""Long work off the request (issue 11 §5): exports that take more than about two seconds run
as background jobs on RQ (Redis), started by `trainer worker`, with a progress bar, a download
when ready, and nothing lost when a web process restarts. The report areas register their
exports by name; this area never imports them (docs/jobs.md)."""
