"""The base of every pydantic model: pydantic validates what enters from outside (a dropped file's
fields, an AWS event, a request to the subscriber API, a queue message) and nothing else."""

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A pydantic model whose validator is built on first use, not at import: a function validates only
    a few of the package's models, and building them all at import cost about 60 ms of CPU on every
    cold start (bench/cold_start.py)."""

    model_config = ConfigDict(defer_build=True)
