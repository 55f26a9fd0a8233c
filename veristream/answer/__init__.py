"""Answers: cited, time-stamped answers from the live index (`veristream ask`).

One contract (`base.py`: `Composer`, `Evidence`, `Draft`, `Answer`, `Citation`), one module
per backend (`extractive.py`, `llm_local.py`, `llm_openai.py`), the prompt that keeps posts
as data (`prompt.py`), the citation check (`citations.py`), and the flow (`ask.py`).
"""

from .ask import COMPOSERS, ask, make_composer
from .base import Answer, Check, Citation, Composer, ComposerError, Draft, Evidence, Question, Statement

__all__ = ["COMPOSERS", "Answer", "Check", "Citation", "Composer", "ComposerError", "Draft", "Evidence", "Question",
           "Statement", "ask", "make_composer"]
