"""Template helpers in Python: the exact HTML the templates used to make with macros."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from markupsafe import Markup, escape

from generator.helpers import day, label, plural, url_helpers, when

PARIS = timezone(timedelta(hours=2))


def test_when_shows_utc_time_unless_midnight() -> None:
    assert when(datetime(2025, 5, 16, 9, 2, tzinfo=PARIS)) == (
        '<time datetime="2025-05-16T09:02:00+02:00">16 May 2025, 07:02&nbsp;UTC</time>'
    )
    assert when(datetime(2025, 5, 16, tzinfo=UTC)) == (
        '<time datetime="2025-05-16T00:00:00+00:00">16 May 2025</time>'
    )
    assert when(datetime(2025, 5, 16, 7, 2, tzinfo=UTC), with_time=False).endswith(
        ">16 May 2025</time>"
    )


def test_day_is_the_utc_day_with_a_short_month() -> None:
    # 01:30 in Paris is the day before in UTC.
    assert day(datetime(2025, 3, 1, 1, 30, tzinfo=PARIS)) == (
        '<time datetime="2025-03-01T01:30:00+02:00">28 Feb 2025</time>'
    )


def test_dates_are_markup_and_plain_text_helpers_are_not() -> None:
    """Only the `<time>` helpers are trusted HTML; counts and labels are escaped
    when printed, like any value."""
    assert isinstance(when(datetime(2025, 1, 1, tzinfo=UTC)), Markup)
    assert not isinstance(plural(2, "<b>", "<i>"), Markup)
    assert escape(plural(2, "<b>", "<i>")) == "2 &lt;i&gt;"
    assert plural(1, "article", "articles") == "1 article"
    assert plural(0, "article", "articles") == "0 articles"
    assert label("media-conglomerate") == "Media conglomerate"
    assert not isinstance(label("<x>"), Markup)


def test_urls_follow_the_settings_and_siteurl() -> None:
    urls = url_helpers({"SITEURL": "https://x.example/news", "ARTICLE_URL": "stories/{slug}/",
                        "TAG_URL": "topics/{slug}/",
                        "TAG_FEED_ATOM": "feeds/topics/{slug}.atom.xml"})
    assert urls["story_url"]("talks") == "https://x.example/news/stories/talks/"
    assert urls["topic_url"]("trade") == "https://x.example/news/topics/trade/"
    assert urls["topic_feed"]("trade") == "https://x.example/news/feeds/topics/trade.atom.xml"
    assert urls["outlet_url"]("reuters") == "https://x.example/news/outlets/reuters/"
    assert url_helpers({})["story_url"]("talks") == "/stories/talks/"
