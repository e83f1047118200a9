"""The /api/v1 router: one sub-router per resource; a new job kind adds one line here."""

from fastapi import APIRouter

from app.api.routes import colorize, jigsaw, jobs, models, rotation, turing

api_router = APIRouter()
api_router.include_router(colorize.router)
api_router.include_router(jigsaw.router)
api_router.include_router(rotation.router)
api_router.include_router(jobs.router)
api_router.include_router(models.router)
api_router.include_router(turing.router)
