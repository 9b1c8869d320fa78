"""Notifications (消息): one outbox written in the transaction of the action that causes it, the
inbox and its unread count, 我的待办 across every kind of work, and delivery beyond the app.
Rules: rules.py."""
