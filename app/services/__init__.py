"""What the routes do, kept out of the routes: job store, uploads, submission, colorization helpers."""
