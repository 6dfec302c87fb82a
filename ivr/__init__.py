"""Tumen hotline IVR: a pure core (hotline model, calendar, schedule, call flow) with thin web and CLI edges."""
