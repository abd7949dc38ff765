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
# An emergency with no danger word stem in it: only triage's classifier, asked
# by the intake's pre-screen, sends it to the priority queue.
INDIRECT_EMERGENCY = {
    "name": "Dana Cole",
    "email": "dana@example.com",
    "phone": "+1 303 555 0142",
    "message": "My brother texted me 'goodbye, I love you all' an hour ago and now his phone "
    "is off. He has ALS and lives alone.",
}
