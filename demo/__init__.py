"""The demonstration of ``make run``: two towns, their catalogues, delivery set-up and paid orders.

The top of the layers: it may import every app, nothing imports it. The content is data
(``demo/data/``); the code here only reads it and writes it through each app's real actions.
"""
