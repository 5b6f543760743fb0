"""Posters and window stickers: one PDF for the town's live merchants, each with a QR code to its shop page."""
