"""The job runner (procrastinate on PostgreSQL): periodic jobs (reminders, deliveries) and long
imports, run by a worker beside the web server (``flask gridapp worker``)."""
