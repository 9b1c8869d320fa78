"""The notification centre (消息提醒) and the reminder job. Rules: rules.py."""
