"""The WSGI app gunicorn's workers load (`trainer serve` runs `gunicorn … trainer.wsgi:app`):
imported in each worker, never in the master, so a reload brings in new code."""
from trainer import create_app
from trainer.serve import limit_blas, settle_memory

app = create_app()
limit_blas(int(app.config["BLAS_THREADS"]))
settle_memory()
