"""The year's task list (年度任务清单): adopted from a plan, filed (备案), tracked, verified by the next census,
rewarded (奖补). Library first: the CLI (`wangdi plan adopt`, `wangdi tasks …`) and the web pages call these."""

from wangdi.planning.tasks import document, records, rewards
from wangdi.planning.tasks.adopt import adopt, read_plan
from wangdi.planning.tasks.records import Actor, amend, file_list, filings, read_tasks
from wangdi.planning.tasks.rewards import reward_list, set_rates, write_reward_list
from wangdi.planning.tasks.tracking import overdue, overdue_by, track
from wangdi.planning.tasks.verify import flagged, verify

__all__ = [
           "Actor",
           "adopt",
           "amend",
           "document",
           "file_list",
           "filings",
           "flagged",
           "overdue",
           "overdue_by",
           "read_plan",
           "read_tasks",
           "records",
           "reward_list",
           "rewards",
           "set_rates",
           "track",
           "verify",
           "write_reward_list",
]
