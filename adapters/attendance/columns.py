"""Header spellings of each export, in one place.

Each tuple lists alternatives in order of preference; matching ignores case and
spacing (Teams has printed both "First Join" and "First join").
"""

from __future__ import annotations

SPOKE = ("Spoke", "Spoke Site", "Spoke Name", "Site", "Sitio", "Sede", "Unidad", "Unidade")

ZOOM_NAME = ("Name (Original Name)", "User Name (Original Name)", "Name", "Participant")
ZOOM_EMAIL = ("User Email", "Email")
ZOOM_JOIN = ("Join Time",)
ZOOM_LEAVE = ("Leave Time",)
ZOOM_WAITING_ROOM = ("In Waiting Room",)
ZOOM_TOPIC = ("Topic",)

TEAMS_NAME = ("Name", "Full Name")
TEAMS_EMAIL = ("Email", "E-mail", "Email Address")
TEAMS_UPN = ("Participant ID (UPN)", "UPN")
TEAMS_JOIN = ("Join Time", "First Join")
TEAMS_LEAVE = ("Leave Time", "Last Leave")
TEAMS_TITLE_KEYS = ("meeting title", "title", "meeting name")

LEGACY_NAME = ("Full Name", "Name")
LEGACY_ACTION = ("User Action",)
LEGACY_TIME = ("Timestamp",)
