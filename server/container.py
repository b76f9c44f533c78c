"""The only wiring point: builds clients, repositories, services and transports."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import socketio
from redis.asyncio import Redis

from server.accounts import routes as account_routes
from server.accounts.models import User
from server.accounts.repository import INDEXES as ACCOUNT_INDEXES
from server.accounts.repository import AccountRepository
from server.accounts.service import AccountService
from server.accounts.throttle import AuthThrottle
from server.activities import handlers as activity_handlers
from server.activities import routes as activity_routes
from server.activities.repository import INDEXES as ACTIVITY_INDEXES
from server.activities.repository import ActivityRepository
from server.activities.service import ActivityService
from server.activities.sweeper import Sweeper
from server.activities.tickets import TicketSigner
from server.core import passwords, pgindex
from server.core.metrics import CommandTimer
from server.core.mongo import Db, Index, ensure_indexes, make_client
from server.core.ratelimit import Backoff, Limits
from server.core.redis import make_redis
from server.core.tokens import TokenSigner
from server.discovery import routes as discovery_routes
from server.discovery.indexer import DiscoveryIndexer
from server.discovery.repository import INDEXES as DISCOVERY_INDEXES
from server.discovery.repository import DiscoveryRepository
from server.discovery.service import DiscoveryService
from server.dm import handlers as dm_handlers
from server.dm.service import DmService
from server.http.routing import Route
from server.messages import handlers as message_handlers
from server.messages.repository import INDEXES as MESSAGE_INDEXES
from server.messages.repository import MessageRepository
from server.messages.repository_extras import INDEXES as CHAT_INDEXES
from server.messages.repository_extras import ChatRepository
from server.messages.service import MessageService
from server.messages.tops import SharedTops
from server.moderation import routes as moderation_routes
from server.moderation.blocks import BlockService
from server.moderation.blocks_repository import INDEXES as BLOCK_INDEXES
from server.moderation.blocks_repository import BlockRepository
from server.moderation.blocks_routes import routes as block_routes
from server.moderation.gate import SendGate
from server.moderation.holds import HoldService
from server.moderation.holds_repository import INDEXES as HOLD_INDEXES
from server.moderation.holds_repository import HoldRepository
from server.moderation.holds_routes import routes as hold_routes
from server.moderation.joins import JoinService
from server.moderation.joins_repository import INDEXES as JOIN_INDEXES
from server.moderation.joins_repository import JoinRepository
from server.moderation.joins_routes import routes as join_routes
from server.moderation.newcomers import NewcomerService
from server.moderation.newcomers_routes import routes as newcomer_routes
from server.moderation.permissions import Permission
from server.moderation.report_repository import INDEXES as MEMBER_REPORT_INDEXES
from server.moderation.report_repository import ReportRepository as MemberReportRepository
from server.moderation.report_routes import routes as member_report_routes
from server.moderation.reports import ReportQueue
from server.moderation.repository import INDEXES as MODERATION_INDEXES
from server.moderation.repository import ModerationRepository
from server.moderation.roles import RoleService
from server.moderation.service import ModerationService
from server.notifications import routes as notification_routes
from server.notifications.repository import INDEXES as NOTIFICATION_INDEXES
from server.notifications.repository import NotificationRepository
from server.notifications.service import NotificationService
from server.outreach import routes as outreach_routes
from server.outreach.repository import INDEXES as OUTREACH_INDEXES
from server.outreach.repository import OutreachRepository
from server.outreach.service import OutreachService
from server.payments import routes as payment_routes
from server.payments.ledger import LedgerReader
from server.payments.providers import SandboxProvider
from server.payments.repository import INDEXES as PAYMENT_INDEXES
from server.payments.repository import PaymentRepository
from server.payments.service import PaymentService
from server.payments.webhooks import WebhookInbox
from server.posts import routes as post_routes
from server.posts.access import PostAccess
from server.posts.repository import INDEXES as POST_INDEXES
from server.posts.repository import PostRepository
from server.posts.service import PostService
from server.profiles import routes as profile_routes
from server.profiles.service import ProfileService
from server.realtime.broadcaster import Broadcaster
from server.realtime.events import EventTable
from server.realtime.manager import LocalManager, RedisManager
from server.realtime.presence import Presence
from server.realtime.server import RealtimeGateway, make_sio
from server.referrals import routes as referral_routes
from server.referrals.repository import INDEXES as REFERRAL_INDEXES
from server.referrals.repository import ReferralRepository
from server.referrals.service import ReferralService
from server.referrals.visits import VisitCounter, visitor_key
from server.reports import circle_routes as circle_report_routes
from server.reports import lifecycle_routes
from server.reports import routes as report_routes
from server.reports.book import BookKeeper
from server.reports.book_repository import INDEXES as BOOK_INDEXES
from server.reports.book_repository import BookRepository
from server.reports.circle_report import CircleReportService
from server.reports.lifecycle import LifecycleService
from server.reports.lifecycle_repository import INDEXES as LIFECYCLE_INDEXES
from server.reports.lifecycle_repository import LifecycleRepository
from server.reports.people import People
from server.reports.recorder import SignupRecorder
from server.reports.repository import INDEXES as REPORT_INDEXES
from server.reports.repository import ReportRepository
from server.reports.rollups import RollupKeeper
from server.reports.rollups_repository import INDEXES as ROLLUP_INDEXES
from server.reports.rollups_repository import RollupRepository
from server.reports.service import ReportService
from server.reports.tags_repository import INDEXES as TAG_INDEXES
from server.reports.tags_repository import TagRepository
from server.rooms import page_routes as circle_page_routes
from server.rooms import routes as room_routes
from server.rooms.follows import FollowService
from server.rooms.follows_repository import INDEXES as FOLLOW_INDEXES
from server.rooms.follows_repository import FollowRepository
from server.rooms.notices import MemberNotices
from server.rooms.page import CirclePageService
from server.rooms.page_repository import CirclePageRepository
from server.rooms.repository import INDEXES as ROOM_INDEXES
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService
from server.search import routes as search_routes
from server.search.guard import IndexGuard
from server.search.indexer import SearchIndexer
from server.search.repository import INDEXES as SEARCH_INDEXES
from server.search.repository import SearchRepository
from server.search.service import SearchService
from server.settings import Settings
from server.share import routes as share_routes
from server.share.links import Links, going_key
from server.share.service import ShareService
from server.trust import routes as trust_routes
from server.trust.crypto import Cipher, derived_key
from server.trust.payouts import PayoutService
from server.trust.repository import INDEXES as TRUST_INDEXES
from server.trust.repository import TrustRepository
from server.trust.service import VerificationImages, VerificationService
from server.uploads import routes as upload_routes
from server.uploads.repository import INDEXES as UPLOAD_INDEXES
from server.uploads.repository import UploadRepository
from server.uploads.service import UploadService

ALL_INDEXES: dict[str, list[Index]] = {
    **ACCOUNT_INDEXES,
    **MESSAGE_INDEXES,
    **CHAT_INDEXES,
    **ROOM_INDEXES,
    **ACTIVITY_INDEXES,
    **NOTIFICATION_INDEXES,
    **PAYMENT_INDEXES,
    **UPLOAD_INDEXES,
    **SEARCH_INDEXES,
    **DISCOVERY_INDEXES,
    **FOLLOW_INDEXES,
    **REFERRAL_INDEXES,
    **POST_INDEXES,
    **MODERATION_INDEXES,
    **MEMBER_REPORT_INDEXES,
    **JOIN_INDEXES,
    **HOLD_INDEXES,
    **BLOCK_INDEXES,
    **TRUST_INDEXES,
    **REPORT_INDEXES,
    **ROLLUP_INDEXES,
    **BOOK_INDEXES,
    **LIFECYCLE_INDEXES,
    **OUTREACH_INDEXES,
    **TAG_INDEXES,
}

log = logging.getLogger(__name__)


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or a random key persisted under DATA_DIR so tokens survive restarts."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def webhook_secrets(settings: Settings, key: str) -> list[str]:
    """PAYMENT_WEBHOOK_SECRET, comma-separated during a rotation (the first one signs sandbox
    events); without it, a secret derived from the server key, so the sandbox still works."""
    given = [s.strip() for s in (settings.payment_webhook_secret or "").split(",") if s.strip()]
    if given:
        return given
    return ["whsec_" + hmac.new(key.encode(), b"circles-sandbox-webhook", "sha256").hexdigest()]


class _Directory:
    """What the conversation log needs to know about circles and users."""

    def __init__(
        self, circles: CircleService, accounts: AccountService, presence: Presence
    ) -> None:
        self._circles = circles
        self._accounts = accounts
        self._presence = presence

    async def circle_titles(self, circle_ids: list[str]) -> dict[str, str]:
        return await self._circles.titles(circle_ids)

    async def users(self, user_ids: list[str]) -> dict[str, User]:
        return await self._accounts.get_users(user_ids)

    async def can_moderate(self, circle_id: str, user_id: str, permission: Permission) -> bool:
        return await self._circles.may(circle_id, user_id, permission)

    async def online(self, user_ids: list[str]) -> dict[str, bool]:
        return await self._presence.online_many(user_ids)

    async def users_by_handles(self, handles: list[str]) -> dict[str, User]:
        return await self._accounts.users_by_handles(handles)


@dataclass
class Container:
    settings: Settings
    mongo: Any
    db: Db
    redis: Redis | None
    sio: socketio.AsyncServer
    manager: LocalManager | RedisManager
    broadcaster: Broadcaster
    accounts: AccountService
    messages: MessageService
    circles: CircleService
    dms: DmService
    gateway: RealtimeGateway
    signer: TokenSigner
    notifications: NotificationService
    activities: ActivityService
    sweeper: Sweeper
    payments: PaymentService
    share: ShareService
    routes: list[Route] = field(default_factory=list)
    events: EventTable = field(default_factory=dict)
    limits: Limits | None = None
    backoff: Backoff | None = None  # login failures (accounts/throttle.py)
    uploads: UploadService | None = None
    search_indexer: SearchIndexer | None = None
    search_guard: IndexGuard | None = None
    discovery_indexer: DiscoveryIndexer | None = None
    trust: VerificationService | None = None
    payouts: PayoutService | None = None
    rollups: RollupKeeper | None = None

    async def init_storage(self, postgres_url: str | None) -> None:
        """Declared indexes; on FerretDB over PostgreSQL (``postgres_url``), their GIN mirrors.
        A new store is marked as having every sign-up's row (nothing to backfill)."""
        new_store = "activities" not in await self.db.list_collection_names()
        await ensure_indexes(self.db, ALL_INDEXES, unique_only=bool(postgres_url))
        if new_store:  # before the mirror: it indexes the tables that exist
            await self.activities.rows_complete()
            if self.search_guard is not None:
                await self.search_guard.declare_whole()
        if postgres_url:
            await pgindex.mirror(postgres_url, self.settings.mongodb_db, ALL_INDEXES)

    async def close(self) -> None:
        steps: list[tuple[str, Callable[[], Awaitable[Any]] | None]] = [
            ("sweeper", self.sweeper.stop),
            ("rollups", self.rollups.stop if self.rollups else None),
            ("uploads", self.uploads.stop if self.uploads else None),
            ("search guard", self.search_guard.stop if self.search_guard else None),
            ("search indexer", self.search_indexer.stop if self.search_indexer else None),
            ("activities", self.activities.drain),
            ("discovery", self.discovery_indexer.drain if self.discovery_indexer else None),
            ("circle notices", self.circles.notices.drain if self.circles.notices else None),
            ("messages", self.messages.drain),
            ("gap filler", self.sio.manager.stop_filling),  # it reads the database
            ("rate limits", self.limits.aclose if self.limits else None),
            ("login backoff", self.backoff.aclose if self.backoff else None),
            ("database client", self.mongo.close),
            ("redis", self.redis.aclose if self.redis is not None else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            started = time.monotonic()
            await step()
            # A slow shutdown names the step it spent its time in (the log is all there is).
            if (took := time.monotonic() - started) > 1:
                log.warning("shutdown: %s took %.1f s", name, took)


def build(
    settings: Settings, mongodb_url: str, mongo_listeners: list[Any] | None = None
) -> Container:
    # Database command latency (core/metrics.py) only while /metrics can be read: with any
    # command listener PyMongo builds and publishes two events per command: 1.4% of a busy
    # chat process's profile samples (docs/performance.md, "Two small costs off every send").
    timer = [CommandTimer()] if settings.metrics_served else []
    mongo = make_client(
        mongodb_url,
        settings.db_timeout_ms,
        [*(mongo_listeners or []), *timer],
        settings.db_pool_size,
    )
    db = mongo[settings.mongodb_db]
    redis = (
        make_redis(settings.redis_url, settings.redis_max_connections)
        if settings.redis_url
        else None
    )
    passwords.configure(settings.password_time_cost, settings.password_memory_kib)
    key = secret_key(settings)
    signer = TokenSigner(key)
    sio, manager = make_sio(
        settings.redis_url,
        settings.allowed_origins,
        settings.max_frame_bytes,
        handshake_timeout=settings.handshake_timeout_seconds,
    )
    broadcaster = Broadcaster(sio, manager)

    accounts = AccountService(
        AccountRepository(db), signer, timedelta(days=settings.session_ttl_days), broadcaster
    )
    # where a fresh process starts walking up a conversation's claims (messages/tops.py)
    tops = SharedTops(redis, settings.mongodb_db)
    messages = MessageService(MessageRepository(db, tops), broadcaster, ChatRepository(db))
    manager.resolver = messages.resolve  # live delivery fills rev gaps from the database
    uploads = UploadService(
        UploadRepository(db),
        messages,
        settings.upload_max_bytes,
        settings.upload_pending_hours,
        settings.upload_sweep_seconds,
    )
    messages.attachments = uploads
    terms = SearchRepository(db)
    indexer = SearchIndexer(terms, messages, settings.search_index_delay_seconds)
    messages.observers.append(indexer.observe)
    search = SearchService(terms, indexer, messages)
    guard = IndexGuard(terms, indexer, messages, settings.search_index_check_seconds)
    # one repository of circles and memberships: its listeners hear every membership change
    circle_repo = CircleRepository(db)
    circles = CircleService(circle_repo, messages, accounts, signer, broadcaster, settings.base_url)
    if settings.member_notice_seconds > 0:
        circles.notices = MemberNotices(messages, settings.member_notice_seconds)
    dms = DmService(messages, circles, accounts, broadcaster)
    # roles and moderation (server/moderation/): bans refuse joins, the gate refuses sends
    moderation_repo = ModerationRepository(db)
    moderation = ModerationService(moderation_repo, circle_repo, circles, accounts)
    send_gate = SendGate(moderation_repo, circle_repo, circles)
    roles = RoleService(moderation, send_gate, circle_repo, broadcaster)
    circles.banned = moderation.is_banned
    joins = JoinService(JoinRepository(db), circle_repo, circles, accounts, broadcaster)
    joins.audit = moderation.record  # approvals and declines go in the audit log
    blocks = BlockService(BlockRepository(db), accounts)
    dms.blocks = messages.dm_gate = blocks.refuse_dm  # no DMs across a block
    messages.send_gate = send_gate.check

    async def moderation_changed(circle_id: str) -> None:
        send_gate.forget(circle_id)  # here at once, even with Redis down
        await broadcaster.forget("moderation", circle_id)

    moderation.changed = moderation_changed
    newcomers = NewcomerService(circle_repo, broadcaster)  # newcomers' links, in the send gate
    newcomers.changed = moderation_changed
    roles.badge = newcomers.badge = circles.owner_verified  # owner_verified in their answers
    holds = HoldService(HoldRepository(db), circle_repo, accounts, messages, broadcaster)
    holds.audit = moderation.record  # approvals and declines of held messages are audited
    send_gate.held = holds.hold  # a newcomer's link is held for review (moderation/holds.py)
    broadcaster.on_forget(lambda what, key: send_gate.forget(key) if what == "moderation" else None)
    messages.moderated_delete = moderation.message_removed
    notifications = NotificationService(
        NotificationRepository(db), broadcaster, settings.notify_digest_seconds
    )
    activities = ActivityService(
        ActivityRepository(db),
        messages,
        circles,
        accounts,
        notifications,
        signer,
        TicketSigner(key),
        settings.base_url,
        settings.hold_minutes,
    )
    messages.mentions.notifier = notifications
    follows = FollowService(FollowRepository(db), circles, circle_repo)
    visits = VisitCounter(redis, settings.mongodb_db, visitor_key(key))
    referrals = ReferralService(ReferralRepository(db), accounts, activities, circles, visits)
    activities.referrals = circles.referrals = referrals  # credits share links (referrals/)
    circle_pages = CirclePageService(
        circles, CirclePageRepository(db), activities, follows, accounts
    )
    # circle posts (posts/): the circle page lists the newest, uploads serve their images
    post_repo = PostRepository(db)
    posts = PostService(post_repo, PostAccess(circles, post_repo), accounts, activities, uploads)
    circle_pages.recent_posts = posts.recent_for_page
    uploads.circles = posts
    profiles = ProfileService(accounts, circles, activities, uploads)
    profiles.blocked_either_way = blocks.either_way  # no "Message" across a block
    # one repository for both: its bucket cache is dropped by the indexer's own writes
    cards = DiscoveryRepository(db)
    cards.announce = broadcaster.forget  # every process drops its copy of a changed bucket
    broadcaster.on_forget(cards.on_announced)
    discovery_indexer = DiscoveryIndexer(cards, activities, follows, notifications)
    activities.watchers.append(discovery_indexer.on_commit)  # cards after every commit
    # sign-up history for the organiser's reports (server/reports/); never told of messages
    report_repo = ReportRepository(db)
    activities.watchers.append(SignupRecorder(report_repo).on_commit)
    # the circle report's daily rollups, kept by a sweeper off the send path (reports/rollups.py)
    rollup_repo = RollupRepository(db)
    rollups = RollupKeeper(
        rollup_repo,
        MessageRepository(db, tops),
        tops,
        report_repo,
        settings.report_rollup_seconds,
        settings.report_chat_rollup_seconds,
    )
    activities.watchers.append(rollups.on_commit)
    messages.observers.append(rollups.recent.observe)  # what the sweep need not read back
    discovery = DiscoveryService(cards, follows, activities, accounts, notifications)
    # what discovery keeps of each user is dropped in every process when it changes
    discovery.announce = broadcaster.forget
    broadcaster.on_forget(discovery.on_announced)

    async def members_changed(circle_id: str, user_id: str) -> None:
        await discovery.changed([user_id], [circle_id])

    async def participants_changed(user_ids: set[str]) -> None:
        await discovery.changed(user_ids)

    circle_repo.members_changed.append(members_changed)
    activities.participants_changed = participants_changed
    sweeper = Sweeper(activities, settings.sweep_interval_seconds)
    secrets_ = webhook_secrets(settings, key)
    payments = PaymentService(
        PaymentRepository(db),
        activities,
        messages,
        accounts,
        notifications,
        SandboxProvider(settings.base_url, secrets_[0]),
        settings.payment_providers,
    )
    inbox = WebhookInbox(PaymentRepository(db), payments, secrets_)
    # organiser verification and payout accounts (server/trust/); the gate on paid activities
    cipher = Cipher(settings.document_encryption_keys or [derived_key(key)])
    trust_repo = TrustRepository(db)
    trust = VerificationService(trust_repo, cipher, VerificationImages(uploads), accounts)
    trust.notifier = notifications
    payouts = PayoutService(
        trust,
        circles,
        trust_repo,
        cipher,
        LedgerReader(PaymentRepository(db)),
        settings.paid_activities_require_verification,
    )
    payouts.activities = activities
    activities.paid_gate = payouts.require_can_charge
    activities.verified = trust.is_verified  # organiser_verified on activity cards
    # the same badges on API outputs, looked up once per answer (owner_/organiser_verified)
    activities.verified_among = circles.verified_among = trust.verified_among
    # each circle's book (money, attendance) and people table, kept by the rollup sweeper
    book = BookKeeper(BookRepository(db), activities, payments, report_repo)
    activities.watchers.append(book.on_commit)
    payments.watchers.append(book.on_payment)
    people = People(BookRepository(db), rollup_repo, LifecycleRepository(db))
    rollups.book, rollups.people = book, people
    reports = ReportService(report_repo, activities, circles, referrals, book, accounts)
    # member reports and the moderators' review queue (moderation/reports.py)
    report_queue = ReportQueue(
        MemberReportRepository(db), moderation, circles, messages, posts, accounts,
        notifications, circle_repo,
    )  # fmt: skip
    # Share pages and posters write times out for people not signed in; activities carry no
    # zone of their own yet, so they are shown in UTC, naming it (server/share/facts.py).
    share = ShareService(
        activities, circles, accounts, Links(settings.base_url, going_key(key)), ZoneInfo("UTC")
    )
    share.visits = visits  # share-page visits that carry a ref, counted for the organisers
    share.verified = trust.is_verified  # the "verified organiser" badge on share pages

    events: EventTable = {
        **message_handlers.handlers(messages, settings.rate_limit_messages_per_minute),
        **dm_handlers.handlers(dms),
        **activity_handlers.handlers(activities),
    }
    holder: dict[str, RealtimeGateway] = {}

    async def announce(user_id: str, online: bool, channels: list[str] | None) -> None:
        await holder["gateway"].announce_presence(user_id, online, channels)

    presence = Presence(redis, settings.presence_grace_seconds, announce)
    messages.directory = _Directory(circles, accounts, presence)
    # Budgets are kept per database, so deployments sharing a Redis do not share them.
    limits = Limits(redis, settings.mongodb_db, settings.rate_limit_scale)
    gateway = RealtimeGateway(
        sio,
        accounts,
        messages,
        broadcaster,
        presence,
        events,
        settings.max_connections_per_user,
        limits,
    )
    holder["gateway"] = gateway
    lifecycle = LifecycleService(
        LifecycleRepository(db), people, book, circles, accounts, TagRepository(db)
    )
    throttle, backoff = _auth_throttle(settings, redis, limits)
    routes = [
        *account_routes.routes(accounts, throttle),
        *room_routes.routes(circles, presence.online_many),
        *activity_routes.routes(activities, accounts.authenticate),
        *notification_routes.routes(notifications),
        *payment_routes.routes(payments, inbox),
        *upload_routes.routes(uploads),
        *search_routes.routes(search),
        *share_routes.routes(share),
        *discovery_routes.routes(discovery, follows),
        *referral_routes.routes(referrals),
        *circle_page_routes.routes(circle_pages, activities),
        *post_routes.routes(posts),
        *profile_routes.routes(profiles),
        *moderation_routes.routes(moderation, roles, send_gate),
        *member_report_routes(report_queue),
        *join_routes(joins),
        *hold_routes(holds),
        *block_routes(blocks),
        *newcomer_routes(newcomers),
        *trust_routes.routes(trust, payouts),
        *report_routes.routes(reports),
        *circle_report_routes.routes(CircleReportService(rollup_repo, circles)),
        *lifecycle_routes.routes(lifecycle),
        *outreach_routes.routes(
            OutreachService(
                OutreachRepository(db),
                circles,
                lifecycle,
                reports,
                activities,
                dms,
                messages,
                notifications,
            )
        ),
    ]
    return Container(
        settings=settings,
        mongo=mongo,
        db=db,
        redis=redis,
        sio=sio,
        manager=manager,
        broadcaster=broadcaster,
        accounts=accounts,
        messages=messages,
        circles=circles,
        dms=dms,
        gateway=gateway,
        signer=signer,
        notifications=notifications,
        activities=activities,
        sweeper=sweeper,
        payments=payments,
        share=share,
        routes=routes,
        events=events,
        limits=limits,
        backoff=backoff,
        uploads=uploads,
        search_indexer=indexer,
        search_guard=guard,
        discovery_indexer=discovery_indexer,
        trust=trust,
        payouts=payouts,
        rollups=rollups,
    )


def _auth_throttle(
    settings: Settings, redis: Redis | None, limits: Limits
) -> tuple[AuthThrottle, Backoff]:
    backoff = Backoff(
        redis,
        settings.mongodb_db,
        settings.login_failures_before_backoff,
        settings.login_backoff_max_seconds,
    )
    return AuthThrottle(limits, backoff, settings.rate_limit_auth_per_minute), backoff
