"""Form submissions the whole-stack suites post: one of each kind of alert."""

from __future__ import annotations

# Triage calls it an emergency: a phone call, an SMS and an email to on-call.
EMERGENCY = {
    "name": "Rosa Diaz",
    "email": "rosa@example.com",
    "phone": "+1 303 555 0199",
    "message": "My husband has ALS and he can't breathe right now, his lips are going blue "
    "and the BiPAP isn't helping",
}
# A routine question: one email to the topic team's inbox.
ROUTINE = {
    "name": "Tom Reed",
    "email": "tom@example.com",
    "message": "Can you help us find a physical therapist who has worked with ALS patients "
    "near Denver?",
}
