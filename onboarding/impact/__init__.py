"""The town's impact dashboard for its elected officials: the pipeline over time, live merchants, online sales."""
