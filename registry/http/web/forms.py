"""The dashboard's two forms; Flask-WTF checks each one's CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):  # type: ignore[misc]
    """A registry token, pasted once; only its hash is kept in the session."""

    token = PasswordField(_l("Registry token"),
                          validators=[DataRequired(), Length(max=200)])


class SignOutForm(FlaskForm):  # type: ignore[misc]
    """Sign-out is a POST with a CSRF token, so another site cannot end a session."""
