"""The pure core: no Flask, no Twilio, and "now" is always a parameter."""
