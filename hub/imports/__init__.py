"""Importing another system's history (issue 13): HappyOrNot's exports of button feedbacks, follow-up feedbacks,
experience points and surveys, read (``readers``), parsed (``fields``), mapped to our stores, devices and questions
(``mapping``) and stored through ``store.imports`` (``happyornot``)."""
