"""The one HTTP application of a Lessonloop process: every part that takes requests (Slack's
events and install pages, the Telegram webhook, helpdesk replies, health checks) hands in
its routes, and one server on one port serves them all."""
