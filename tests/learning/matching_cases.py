"""A labelled set for matching: a catalogue of offers a county's providers might publish,
and learning needs partners record, each with the offer a person reading the catalogue
would pick first for it.

The principles are the Skills for Care principles of workforce integration (2021):
1 outcomes for people supported, 2 the whole system, 3 resistance to change and trusting
relationships, 4 visionary leaders and a skilled workforce, 5 process matters (how the
workforce is valued and engaged), 6 new relationships, networks and ways of working.

Sessions are (starts in days from today or None for any time, capacity, places booked);
a need's ``needed_by`` is in days from today.
"""

# key: (title, topics, staff groups, description, principles, sessions)
OFFERS = {
    "strengths": (
        "Strengths-based practice for integrated teams", "strengths-based, practice, assessment",
        "social workers, community nurses, care workers",
        "A one-day workshop on strengths-based conversations and assessment, for health and "
        "social care staff who now work in one team.", [1, 4], [(30, 24, 0)]),
    "strengths_full": (
        "Strengths-based conversations", "strengths-based, conversations",
        "social workers, care workers",
        "A short course on having good conversations about what matters to people.",
        [1], [(20, 10, 10)]),
    "system_leadership": (
        "Leading across boundaries: system leadership", "leadership, system, change",
        "senior managers, team leaders",
        "An action learning set for leaders working across organisations in a place.",
        [4, 5], [(45, 16, 0)]),
    "coproduction": (
        "Co-production in practice", "co-production, people supported, engagement",
        "all staff",
        "How to plan and deliver services with people who draw on care and their carers, "
        "as equal partners.", [1, 5], [(20, 30, 0)]),
    "supervision": (
        "Professional supervision skills", "supervision, reflective practice",
        "team leaders, senior practitioners",
        "Coaching for those who supervise staff in new integrated roles.", [3], [(60, 12, 0)]),
    "roles": (
        "Understanding each other's roles: health and care", "roles, integration, induction",
        "care workers, healthcare assistants",
        "E-learning on what colleagues across health and social care do, and how to work "
        "with them.", [2, 6], [(None, 200, 0)]),
    "dementia": (
        "Dementia awareness and person-centred care", "dementia, awareness, person-centred care",
        "home care workers, community care workers, reablement staff",
        "A workshop on living well with dementia and care that puts the person first.",
        [3, 1], [(40, 60, 0)]),
    "dementia_volunteers": (
        "Dementia care for volunteers", "dementia, volunteering, befriending", "volunteers",
        "A half-day session for volunteers who visit people living with dementia.",
        [1], [(50, 25, 0)]),
    "resistance": (
        "Managing change and resistance in integrated teams",
        "change management, resistance, trust", "team leaders, managers",
        "Why people resist change, and how leaders can bring a team with them.",
        [3], [(35, 20, 0)]),
    "trust": (
        "Building trusting relationships across organisations",
        "trust, relationships, partnership working", "managers, team leaders",
        "For managers who work with partners in other organisations: honesty, shared goals "
        "and keeping promises.", [3, 6], [(70, 20, 0)]),
    "plain_english": (
        "Plain English for health and care", "plain English, communication, writing",
        "all staff",
        "Write letters, leaflets and care plans that people understand, without jargon.",
        [5], [(25, 40, 0)]),
    "safeguarding": (
        "Safeguarding adults level 2", "safeguarding, adults, abuse",
        "care workers, nurses, social workers",
        "Recognising and reporting abuse and neglect of adults at risk.", [1], [(15, 30, 0)]),
    "mhfa": (
        "Mental health first aid", "mental health, first aid, wellbeing", "all staff",
        "Two days on spotting the signs of poor mental health and supporting someone in "
        "crisis.", [1], [(55, 16, 0)]),
    "moving": (
        "Moving and handling people", "moving and handling, manual handling",
        "care workers, healthcare assistants",
        "Safe moving and handling of people, with hoists and slide sheets.",
        [1], [(10, 12, 0)]),
    "medication": (
        "Medication administration in the community", "medication, medicines, administration",
        "home care workers, senior care workers",
        "Safe handling and administration of medicines for care workers who support people "
        "at home.", [1, 2], [(30, 15, 0)]),
    "end_of_life": (
        "End of life care together", "end of life, palliative care, advance care planning",
        "community nurses, home care workers",
        "Nurses and home care workers learning together to care for people in their last "
        "months.", [1, 2], [(65, 20, 0)]),
    "induction": (
        "Joint induction for integrated teams", "induction, integrated teams, welcome",
        "new starters",
        "A shared first week for everyone joining the integrated teams, whoever employs "
        "them.", [2, 6], [(14, 25, 0)]),
    "digital": (
        "Digital skills for care records", "digital, shared care records, technology",
        "care workers, administrators",
        "Using the shared care record and other digital tools safely.", [2], [(None, 100, 0)]),
    "coaching": (
        "Coaching for managers", "coaching, leadership, development conversations",
        "managers",
        "How to coach your team and hold development conversations.", [4], [(80, 10, 0)]),
    "trauma": (
        "Trauma-informed practice", "trauma-informed, trauma, adverse childhood experiences",
        "social workers, mental health nurses",
        "Understanding the effects of trauma and working in ways that do not add to it.",
        [1, 3], [(45, 20, 0)]),
    "falls": (
        "Falls prevention in the home", "falls prevention, falls, frailty",
        "home care workers, reablement staff, occupational therapists",
        "Spotting the risk of falls and what to do about it in people's homes.",
        [1, 2], [(28, 20, 0)]),
    "exchange": (
        "Practice exchange: hospital and home care",
        "practice exchange, discharge, hospital, home care",
        "hospital staff, home care workers",
        "Hospital and home care staff spend a day in each other's work to make discharge "
        "smoother.", [6], [(21, 30, 0)]),
    "care_planning": (
        "Personalised care and support planning",
        "personalised care, care planning, support planning",
        "social workers, care coordinators",
        "Planning care and support with the person, around what matters to them.",
        [1], [(50, 20, 0)]),
    "edi": (
        "Equality, diversity and inclusion in the workforce", "equality, diversity, inclusion",
        "all staff", "E-learning on fair treatment at work and in care.", [5],
        [(None, 300, 0)]),
    "engagement": (
        "Engaging staff through change", "staff engagement, communication, change",
        "managers, HR staff",
        "Keeping staff informed, involved and valued while services are reorganised.",
        [5, 3], [(40, 20, 0)]),
    "mdt": (
        "Multi-disciplinary team working", "multidisciplinary, MDT, team working",
        "community nurses, social workers, therapists",
        "Making the most of multi-disciplinary team meetings and shared caseloads.",
        [6, 2], [(33, 24, 0)]),
    "reablement": (
        "Reablement: helping people regain independence",
        "reablement, independence, rehabilitation", "reablement staff, occupational therapists",
        "Short-term support that helps people do things for themselves again.",
        [1], [(42, 18, 0)]),
    "senior_leaders": (
        "Leadership for integration: the senior leaders' programme",
        "leadership, integration, vision", "directors, senior managers",
        "A six-month programme for senior leaders who set the direction of integration.",
        [4], [(90, 12, 0)]),
    "infection": (
        "Infection prevention and control", "infection control, hand hygiene, PPE",
        "care workers, healthcare assistants, nurses",
        "Hand hygiene, protective equipment and stopping infections spreading.",
        [1], [(12, 40, 0)]),
    "population_health": (
        "Population health and prevention", "population health, prevention, health inequalities",
        "managers, commissioners, public health staff",
        "Using data to understand a population's health and reduce inequalities.",
        [2], [(60, 25, 0)]),
    "oliver_mcgowan": (
        "Oliver McGowan training on learning disability and autism",
        "autism, learning disability, Oliver McGowan", "all staff",
        "The mandatory training on learning disability and autism for health and social "
        "care staff.", [1], [(None, 500, 0)]),
}

# (topic, staff group, principle, workers, needed by in days, the offer a person picks)
NEEDS = [
    ("Strengths-based practice", "Care workers", 1, 12, 90, "strengths"),
    ("System leadership", "Team leaders", 4, 6, 120, "system_leadership"),
    ("Co-production with people who draw on care", "Social workers", 1, 10, 90,
     "coproduction"),
    ("Supervision for new integrated roles", "Senior practitioners", 3, 5, 100, "supervision"),
    ("Roles across health and care", "Healthcare assistants", 2, 20, 60, "roles"),
    ("Plain English communication", "All staff", 5, 30, 60, "plain_english"),
    ("Dementia awareness and care", "Home care workers", 3, 18, 120, "dementia"),
    ("Dementia care awareness", "Home care workers and reablement staff", 3, 9, 150,
     "dementia"),
    ("Dementia awareness", "Community care workers", 3, 14, 100, "dementia"),
    ("Dementia awareness", "Volunteers", 1, 20, 130, "dementia_volunteers"),
    ("Managing resistance to change", "Team leaders", 3, 8, 90, "resistance"),
    ("Building trust between partner organisations", "Managers", 3, 10, 120, "trust"),
    ("Safeguarding adults", "Care workers", 1, 25, 60, "safeguarding"),
    ("Mental health first aid", "Home care workers", 1, 10, 90, "mhfa"),
    ("Moving and handling", "Healthcare assistants", 1, 8, 30, "moving"),
    ("Safe administration of medicines", "Senior care workers", 1, 6, 60, "medication"),
    ("End of life care", "Home care workers", 1, 12, 100, "end_of_life"),
    ("Induction for new integrated team members", "New starters", 2, 15, 30, "induction"),
    ("Using shared care records", "Administrators", 2, 10, 60, "digital"),
    ("Coaching skills for managers", "Managers", 4, 6, 120, "coaching"),
    ("Trauma-informed practice", "Social workers", 1, 15, 90, "trauma"),
    ("Falls prevention", "Reablement staff", 1, 10, 60, "falls"),
    ("Hospital discharge and home care working together", "Home care workers", 6, 20, 60,
     "exchange"),
    ("Care and support planning", "Care coordinators", 1, 8, 90, "care_planning"),
    ("Equality and diversity", "All staff", 5, 50, 60, "edi"),
    ("Keeping staff engaged during restructuring", "Managers", 5, 8, 60, "engagement"),
    ("Multidisciplinary team working", "Community nurses", 6, 12, 60, "mdt"),
    ("Reablement", "Reablement staff", 1, 10, 60, "reablement"),
    ("Leadership for integration", "Senior managers", 4, 5, 120, "senior_leaders"),
    ("Infection prevention and control", "Care workers", 1, 30, 30, "infection"),
    ("Tackling health inequalities", "Commissioners", 2, 6, 90, "population_health"),
    ("Oliver McGowan training on learning disability and autism", "All staff", 1, 100, 90,
     "oliver_mcgowan"),
    ("Person-centred dementia care", "Reablement staff", 1, 8, 120, "dementia"),
    ("Reflective supervision", "Team leaders", 3, 6, 100, "supervision"),
    ("Leading change across the system", "Senior managers", 4, 6, 120, "system_leadership"),
    ("Working with people with lived experience to co-design services", "Managers", 1, 10, 90,
     "coproduction"),
    ("Communication skills", "Home care workers", 5, 20, 60, "plain_english"),
    ("Frailty and falls", "Home care workers", 1, 15, 60, "falls"),
    ("Palliative care", "Community nurses", 1, 10, 90, "end_of_life"),
    ("Handling medicines safely", "Home care workers", 1, 12, 60, "medication"),
    ("Autism awareness", "Healthcare assistants", 1, 40, 120, "oliver_mcgowan"),
    ("Induction", "Care workers", 2, 10, 45, "induction"),
    # the course with places left, not the full one
    ("Strengths-based conversations", "Social workers", 1, 10, 60, "strengths"),
    ("Mental health awareness", "Volunteers", 1, 12, 90, "mhfa"),
    ("Safeguarding", "Home care workers", 1, 20, 20, "safeguarding"),
    # the only coaching course starts after the need's date: still the one to pick
    ("Coaching for managers", "Managers", 4, 6, 30, "coaching"),
]
