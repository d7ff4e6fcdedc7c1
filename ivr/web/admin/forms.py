"""The admin pages' forms (flask-wtf: each carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ivr.hours import WEEKDAYS
from ivr.people.users import ROLES


class FlowForm(FlaskForm):
    source = TextAreaField("Flow (YAML)", validators=[DataRequired()])
    message = StringField("What changed", validators=[Length(max=200)])
    base = IntegerField(validators=[Optional()])
    action = HiddenField(default="save")


class VersionForm(FlaskForm):
    """A button on a version: publish it or roll back to it."""

    number = IntegerField(validators=[DataRequired(), NumberRange(min=1)])
    expect = IntegerField(validators=[Optional()])


class TryForm(FlaskForm):
    number = IntegerField("Version", validators=[Optional(), NumberRange(min=1)])
    at = DateTimeLocalField("Date and time (Paris)", validators=[DataRequired()])
    caller = StringField("Caller number", default="+33612345678", validators=[Length(max=30)])
    keys = StringField("Keys, one answer per question, separated by spaces ('-': none)",
                       validators=[Length(max=200)])


class WeeklyForm(FlaskForm):
    expect = IntegerField(validators=[Optional()])
    monday = StringField("Monday", validators=[Length(max=100)])
    tuesday = StringField("Tuesday", validators=[Length(max=100)])
    wednesday = StringField("Wednesday", validators=[Length(max=100)])
    thursday = StringField("Thursday", validators=[Length(max=100)])
    friday = StringField("Friday", validators=[Length(max=100)])
    saturday = StringField("Saturday", validators=[Length(max=100)])
    sunday = StringField("Sunday", validators=[Length(max=100)])

    def weekly(self) -> dict[str, list[str]]:
        """{day: ["08:30-12:30", ...]} from 'HH:MM-HH:MM, HH:MM-HH:MM' per day."""
        return {day: [part.strip() for part in (getattr(self, day).data or "").split(",")
                      if part.strip()] for day in WEEKDAYS}


class ClosureForm(FlaskForm):
    expect = IntegerField(validators=[Optional()])
    first = DateField("Date (first day)", validators=[DataRequired()])
    last = DateField("Last day (optional)", validators=[Optional()])
    from_time = TimeField("From (optional)", validators=[Optional()])
    to_time = TimeField("Until (optional)", validators=[Optional()])
    reason = StringField("Reason callers hear", validators=[DataRequired(), Length(max=200)])


class IndexForm(FlaskForm):
    """A button on an item of a list (remove closure N)."""

    index = IntegerField(validators=[NumberRange(min=0)])
    expect = IntegerField(validators=[Optional()])


class EmergencyForm(FlaskForm):
    until = DateTimeLocalField("Reopens at (Paris)", validators=[DataRequired()])
    reason = StringField("Reason (for admins)", validators=[Length(max=200)])


class AnnouncementForm(FlaskForm):
    name = SelectField("Announcement", choices=[])
    text_fr = TextAreaField("French", validators=[Length(max=1000)])
    text_en = TextAreaField("English", validators=[Length(max=1000)])
    until = DateTimeLocalField("Until (Paris)", validators=[DataRequired()])


class PromptForm(FlaskForm):
    expect = IntegerField(validators=[Optional()])
    name = HiddenField(validators=[DataRequired()])
    lang = HiddenField(validators=[DataRequired()])
    text = TextAreaField(validators=[DataRequired(), Length(max=2000)])


class QueueForm(FlaskForm):
    expect = IntegerField(validators=[Optional()])
    name = HiddenField(validators=[DataRequired()])
    label = StringField("Label", validators=[DataRequired(), Length(max=100)])
    wait_prompt = StringField("Wait prompt", validators=[DataRequired(), Length(max=60)])
    hold_music = StringField("Hold music URL", validators=[Length(max=500)])
    max_size = StringField("Most callers waiting", validators=[Length(max=6)])
    max_wait = StringField("Longest wait (s, 0: none)", validators=[Length(max=6)])
    agent_timeout = StringField("Agent rings (s)", validators=[Length(max=4)])
    wrapup = StringField("Wrap-up (s)", validators=[Length(max=5)])


class ImportForm(FlaskForm):
    file = FileField("Client CSV (comma or semicolon, UTF-8)", validators=[FileRequired()])


class OrdersImportForm(FlaskForm):
    """Built with prefix="orders": it shares a page with the clients' import."""

    file = FileField("Orders CSV (comma or semicolon, UTF-8)", validators=[FileRequired()])


class UnlockForm(FlaskForm):
    number = StringField(validators=[DataRequired(), Length(max=40)])


class SmsNumberForm(FlaskForm):
    """A number to stop SMS to, or to allow again (typed in any usual form)."""

    number = StringField("Number", validators=[DataRequired(), Length(max=40)])


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=32)])
    role = SelectField("Role", choices=list(ROLES))
    agent_id = StringField("Agent id (agents)", validators=[Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class UserChangeForm(FlaskForm):
    """Actions on one user: role, password, token, remove (the button pressed says which)."""

    name = HiddenField(validators=[DataRequired()])
    action = HiddenField(validators=[DataRequired()])
    role = SelectField(choices=list(ROLES), validate_choice=False)
    agent_id = StringField(validators=[Length(max=64)])
    password = PasswordField(validators=[Length(max=256)])
    label = StringField(validators=[Length(max=80)])
    token_id = HiddenField()
