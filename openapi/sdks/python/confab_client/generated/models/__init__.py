"""Contains all the data models used in inputs/outputs"""

from .activation_status import ActivationStatus
from .audit_entry_view import AuditEntryView
from .audit_export_format import AuditExportFormat
from .audit_page import AuditPage
from .audit_sink_kind_view import AuditSinkKindView
from .audit_sink_list import AuditSinkList
from .audit_sink_test_result import AuditSinkTestResult
from .audit_sink_view import AuditSinkView
from .audit_verification_view import AuditVerificationView
from .chain_entry_view import ChainEntryView
from .change_password_request import ChangePasswordRequest
from .choice_option_input import ChoiceOptionInput
from .choice_set_detail import ChoiceSetDetail
from .choice_set_view import ChoiceSetView
from .configure_plugin import ConfigurePlugin
from .context_view import ContextView
from .conversation_detail import ConversationDetail
from .conversation_page import ConversationPage
from .conversation_view import ConversationView
from .create_audit_sink import CreateAuditSink
from .create_conversation import CreateConversation
from .create_legal_hold import CreateLegalHold
from .create_preset import CreatePreset
from .create_scim_token_request import CreateScimTokenRequest
from .create_share import CreateShare
from .create_tenant_request import CreateTenantRequest
from .create_token_request import CreateTokenRequest
from .create_user_request import CreateUserRequest
from .created_scim_token import CreatedScimToken
from .created_token import CreatedToken
from .credential_kind import CredentialKind
from .diff_line import DiffLine
from .diff_op import DiffOp
from .domain_claim import DomainClaim
from .domain_list import DomainList
from .domain_view import DomainView
from .edit_message import EditMessage
from .erasure_result import ErasureResult
from .error_body import ErrorBody
from .error_code import ErrorCode
from .error_detail import ErrorDetail
from .failure_policy import FailurePolicy
from .field_change import FieldChange
from .file import File
from .file_kind import FileKind
from .file_page import FilePage
from .health_check_view import HealthCheckView
from .hold_scope import HoldScope
from .import_conversation import ImportConversation
from .imported_message_body import ImportedMessageBody
from .keep_mode import KeepMode
from .legal_hold_page import LegalHoldPage
from .legal_hold_view import LegalHoldView
from .login_request import LoginRequest
from .me_view import MeView
from .message_cancelled import MessageCancelled
from .message_completed import MessageCompleted
from .message_created import MessageCreated
from .message_delta import MessageDelta
from .message_error_view import MessageErrorView
from .message_failed import MessageFailed
from .message_file_view import MessageFileView
from .message_role import MessageRole
from .message_status import MessageStatus
from .message_view import MessageView
from .model_list import ModelList
from .model_source import ModelSource
from .model_usage_view import ModelUsageView
from .model_view import ModelView
from .my_usage_view import MyUsageView
from .order_chain import OrderChain
from .overview_day_view import OverviewDayView
from .pick_choice import PickChoice
from .pinned_plugin_preset import PinnedPluginPreset
from .pinned_preset import PinnedPreset
from .platform_health_view import PlatformHealthView
from .platform_retention import PlatformRetention
from .plugin_call_list import PluginCallList
from .plugin_call_view import PluginCallView
from .plugin_list import PluginList
from .plugin_preset_ref import PluginPresetRef
from .plugin_preset_view import PluginPresetView
from .plugin_run_view import PluginRunView
from .plugin_version_view import PluginVersionView
from .plugin_view import PluginView
from .preset_diff import PresetDiff
from .preset_list import PresetList
from .preset_policy import PresetPolicy
from .preset_source import PresetSource
from .preset_version_list import PresetVersionList
from .preset_version_view import PresetVersionView
from .preset_view import PresetView
from .private_failed_status import PrivateFailedStatus
from .private_message_body import PrivateMessageBody
from .private_mode_status import PrivateModeStatus
from .private_role import PrivateRole
from .private_stream_event_private_turn_cancelled import (
    PrivateStreamEventPrivateTurnCancelled,
)
from .private_stream_event_private_turn_cancelled_type import (
    PrivateStreamEventPrivateTurnCancelledType,
)
from .private_stream_event_private_turn_completed import (
    PrivateStreamEventPrivateTurnCompleted,
)
from .private_stream_event_private_turn_completed_type import (
    PrivateStreamEventPrivateTurnCompletedType,
)
from .private_stream_event_private_turn_created import (
    PrivateStreamEventPrivateTurnCreated,
)
from .private_stream_event_private_turn_created_type import (
    PrivateStreamEventPrivateTurnCreatedType,
)
from .private_stream_event_private_turn_delta import PrivateStreamEventPrivateTurnDelta
from .private_stream_event_private_turn_delta_type import (
    PrivateStreamEventPrivateTurnDeltaType,
)
from .private_stream_event_private_turn_failed import (
    PrivateStreamEventPrivateTurnFailed,
)
from .private_stream_event_private_turn_failed_type import (
    PrivateStreamEventPrivateTurnFailedType,
)
from .private_turn_body import PrivateTurnBody
from .private_turn_cancelled import PrivateTurnCancelled
from .private_turn_completed import PrivateTurnCompleted
from .private_turn_created import PrivateTurnCreated
from .private_turn_delta import PrivateTurnDelta
from .private_turn_error import PrivateTurnError
from .private_turn_failed import PrivateTurnFailed
from .provider_kind import ProviderKind
from .provider_list import ProviderList
from .provider_view import ProviderView
from .put_model import PutModel
from .put_provider_key import PutProviderKey
from .put_sharing_settings import PutSharingSettings
from .quota_exceeded_detail import QuotaExceededDetail
from .quota_list import QuotaList
from .quota_period import QuotaPeriod
from .quota_standing_list import QuotaStandingList
from .quota_standing_view import QuotaStandingView
from .quota_status_view import QuotaStatusView
from .quota_subject import QuotaSubject
from .quota_view import QuotaView
from .regenerate_message import RegenerateMessage
from .retention_kind_count import RetentionKindCount
from .retention_periods import RetentionPeriods
from .retention_preview import RetentionPreview
from .role_mapping_item import RoleMappingItem
from .role_mappings import RoleMappings
from .scim_token_list import ScimTokenList
from .scim_token_view import ScimTokenView
from .search_hit_view import SearchHitView
from .search_results import SearchResults
from .send_message import SendMessage
from .set_active_branch import SetActiveBranch
from .set_quota import SetQuota
from .set_role_request import SetRoleRequest
from .set_tenant_private_mode import SetTenantPrivateMode
from .share_link import ShareLink
from .share_page import SharePage
from .share_status import ShareStatus
from .share_view import ShareView
from .share_view_entry import ShareViewEntry
from .share_view_page import ShareViewPage
from .share_visibility import ShareVisibility
from .shared_file_view import SharedFileView
from .sharing_settings_view import SharingSettingsView
from .signed_out_view import SignedOutView
from .snapshot_message_view import SnapshotMessageView
from .snapshot_view import SnapshotView
from .snippet_segment import SnippetSegment
from .sso_button_view import SsoButtonView
from .sso_discovery import SsoDiscovery
from .sso_settings_request import SsoSettingsRequest
from .sso_settings_view import SsoSettingsView
from .storage_usage import StorageUsage
from .stream_event_message_cancelled import StreamEventMessageCancelled
from .stream_event_message_cancelled_type import StreamEventMessageCancelledType
from .stream_event_message_completed import StreamEventMessageCompleted
from .stream_event_message_completed_type import StreamEventMessageCompletedType
from .stream_event_message_created import StreamEventMessageCreated
from .stream_event_message_created_type import StreamEventMessageCreatedType
from .stream_event_message_delta import StreamEventMessageDelta
from .stream_event_message_delta_type import StreamEventMessageDeltaType
from .stream_event_message_failed import StreamEventMessageFailed
from .stream_event_message_failed_type import StreamEventMessageFailedType
from .switch_preset import SwitchPreset
from .switch_tenant_request import SwitchTenantRequest
from .tenant_membership_view import TenantMembershipView
from .tenant_overview_view import TenantOverviewView
from .tenant_page import TenantPage
from .tenant_plugins import TenantPlugins
from .tenant_private_mode import TenantPrivateMode
from .tenant_retention import TenantRetention
from .tenant_role import TenantRole
from .tenant_storage import TenantStorage
from .tenant_storage_list import TenantStorageList
from .tenant_usage_view import TenantUsageView
from .tenant_view import TenantView
from .token_page import TokenPage
from .token_view import TokenView
from .tree_view import TreeView
from .turn_timings import TurnTimings
from .turn_view import TurnView
from .update_audit_sink import UpdateAuditSink
from .update_conversation import UpdateConversation
from .update_preset import UpdatePreset
from .upload_plugin import UploadPlugin
from .usage_row_view import UsageRowView
from .usage_totals import UsageTotals
from .usage_view import UsageView
from .user_page import UserPage
from .user_view import UserView

__all__ = (
    "ActivationStatus",
    "AuditEntryView",
    "AuditExportFormat",
    "AuditPage",
    "AuditSinkKindView",
    "AuditSinkList",
    "AuditSinkTestResult",
    "AuditSinkView",
    "AuditVerificationView",
    "ChainEntryView",
    "ChangePasswordRequest",
    "ChoiceOptionInput",
    "ChoiceSetDetail",
    "ChoiceSetView",
    "ConfigurePlugin",
    "ContextView",
    "ConversationDetail",
    "ConversationPage",
    "ConversationView",
    "CreateAuditSink",
    "CreateConversation",
    "CreateLegalHold",
    "CreatePreset",
    "CreateScimTokenRequest",
    "CreateShare",
    "CreateTenantRequest",
    "CreateTokenRequest",
    "CreateUserRequest",
    "CreatedScimToken",
    "CreatedToken",
    "CredentialKind",
    "DiffLine",
    "DiffOp",
    "DomainClaim",
    "DomainList",
    "DomainView",
    "EditMessage",
    "ErasureResult",
    "ErrorBody",
    "ErrorCode",
    "ErrorDetail",
    "FailurePolicy",
    "FieldChange",
    "File",
    "FileKind",
    "FilePage",
    "HealthCheckView",
    "HoldScope",
    "ImportConversation",
    "ImportedMessageBody",
    "KeepMode",
    "LegalHoldPage",
    "LegalHoldView",
    "LoginRequest",
    "MeView",
    "MessageCancelled",
    "MessageCompleted",
    "MessageCreated",
    "MessageDelta",
    "MessageErrorView",
    "MessageFailed",
    "MessageFileView",
    "MessageRole",
    "MessageStatus",
    "MessageView",
    "ModelList",
    "ModelSource",
    "ModelUsageView",
    "ModelView",
    "MyUsageView",
    "OrderChain",
    "OverviewDayView",
    "PickChoice",
    "PinnedPluginPreset",
    "PinnedPreset",
    "PlatformHealthView",
    "PlatformRetention",
    "PluginCallList",
    "PluginCallView",
    "PluginList",
    "PluginPresetRef",
    "PluginPresetView",
    "PluginRunView",
    "PluginVersionView",
    "PluginView",
    "PresetDiff",
    "PresetList",
    "PresetPolicy",
    "PresetSource",
    "PresetVersionList",
    "PresetVersionView",
    "PresetView",
    "PrivateFailedStatus",
    "PrivateMessageBody",
    "PrivateModeStatus",
    "PrivateRole",
    "PrivateStreamEventPrivateTurnCancelled",
    "PrivateStreamEventPrivateTurnCancelledType",
    "PrivateStreamEventPrivateTurnCompleted",
    "PrivateStreamEventPrivateTurnCompletedType",
    "PrivateStreamEventPrivateTurnCreated",
    "PrivateStreamEventPrivateTurnCreatedType",
    "PrivateStreamEventPrivateTurnDelta",
    "PrivateStreamEventPrivateTurnDeltaType",
    "PrivateStreamEventPrivateTurnFailed",
    "PrivateStreamEventPrivateTurnFailedType",
    "PrivateTurnBody",
    "PrivateTurnCancelled",
    "PrivateTurnCompleted",
    "PrivateTurnCreated",
    "PrivateTurnDelta",
    "PrivateTurnError",
    "PrivateTurnFailed",
    "ProviderKind",
    "ProviderList",
    "ProviderView",
    "PutModel",
    "PutProviderKey",
    "PutSharingSettings",
    "QuotaExceededDetail",
    "QuotaList",
    "QuotaPeriod",
    "QuotaStandingList",
    "QuotaStandingView",
    "QuotaStatusView",
    "QuotaSubject",
    "QuotaView",
    "RegenerateMessage",
    "RetentionKindCount",
    "RetentionPeriods",
    "RetentionPreview",
    "RoleMappingItem",
    "RoleMappings",
    "ScimTokenList",
    "ScimTokenView",
    "SearchHitView",
    "SearchResults",
    "SendMessage",
    "SetActiveBranch",
    "SetQuota",
    "SetRoleRequest",
    "SetTenantPrivateMode",
    "ShareLink",
    "SharePage",
    "ShareStatus",
    "ShareView",
    "ShareViewEntry",
    "ShareViewPage",
    "ShareVisibility",
    "SharedFileView",
    "SharingSettingsView",
    "SignedOutView",
    "SnapshotMessageView",
    "SnapshotView",
    "SnippetSegment",
    "SsoButtonView",
    "SsoDiscovery",
    "SsoSettingsRequest",
    "SsoSettingsView",
    "StorageUsage",
    "StreamEventMessageCancelled",
    "StreamEventMessageCancelledType",
    "StreamEventMessageCompleted",
    "StreamEventMessageCompletedType",
    "StreamEventMessageCreated",
    "StreamEventMessageCreatedType",
    "StreamEventMessageDelta",
    "StreamEventMessageDeltaType",
    "StreamEventMessageFailed",
    "StreamEventMessageFailedType",
    "SwitchPreset",
    "SwitchTenantRequest",
    "TenantMembershipView",
    "TenantOverviewView",
    "TenantPage",
    "TenantPlugins",
    "TenantPrivateMode",
    "TenantRetention",
    "TenantRole",
    "TenantStorage",
    "TenantStorageList",
    "TenantUsageView",
    "TenantView",
    "TokenPage",
    "TokenView",
    "TreeView",
    "TurnTimings",
    "TurnView",
    "UpdateAuditSink",
    "UpdateConversation",
    "UpdatePreset",
    "UploadPlugin",
    "UsageRowView",
    "UsageTotals",
    "UsageView",
    "UserPage",
    "UserView",
)
