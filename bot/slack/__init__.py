"""kam on Slack: the bolt app and its transports (HTTP, Socket Mode), the notifier,
and the app manifest.  Only translation lives here; every decision is the dispatcher's.

    app.py          bolt listeners → Incoming → Dispatcher → Reply
    delivery.py     answering the asker (response_url, ephemeral, DM fallback)
    views.py        App Home and the command modal
    markup.py       Slack text markup → plain text
    identity.py     users.info → a newly registered user's profile
    notifier.py     SlackNotifier for scheduled jobs (DMs and channels)
    web.py          the Web API client: SLACK_API_URL, Retry-After, error classes
    http.py         POST /slack/events (signature-checked)
    socket_mode.py  Socket Mode (SLACK_APP_TOKEN)
    manifest.py     the app manifest from the command table;  cli.py: kam slack manifest
"""
