"""The Textual dashboard. Talks to the platform only through the client layer."""
