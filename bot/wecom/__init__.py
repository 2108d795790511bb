"""kam as a WeCom (企业微信) self-built app (自建应用).

    callback.py   GET/POST /wecom/callback: verification, decryption, replies
    crypto.py     wechatpy's callback crypto plus replay protection
    client.py     the server API: shared access token, errcode rules, group robots
    notifier.py   WecomNotifier: message/send, appchat/send, group-robot webhooks
    users.py      user/get fills display names of newly registered members

Only this package (with ``bot/slack``) talks to the platform; commands run in the
platform-neutral dispatcher.
"""
