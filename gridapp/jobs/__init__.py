"""The job runner (procrastinate on PostgreSQL): periodic jobs (reminders, deliveries) and long jobs
(imports, exports: :mod:`.longjob`), run by a worker beside the web server (``flask gridapp worker``)."""
