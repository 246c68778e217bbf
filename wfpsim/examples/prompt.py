"""An "ask the user" firewall: pend a connect, let the user decide, complete it later.

:class:`PromptFirewallDriver` registers one callout at ``ALE_AUTH_CONNECT_V4`` behind a
terminating callout filter. Its classifyFn does what WFPSampler's pend-authorization scenario
and every prompting firewall do (Microsoft Learn, *Processing Classify Callouts
Asynchronously*):

1. In a **reauthorization** (``FWP_CONDITION_FLAG_IS_REAUTHORIZE`` in ``FLAGS``) it answers with
   the decision it remembered for the application — this is where the decision of a completed
   pend takes effect.
2. An application it has a rule for is decided at once (``FWP_ACTION_PERMIT`` / ``_BLOCK``).
3. Any other application: ``FwpsPendOperation0(in_meta_values.completion_handle, context)``,
   then ``FWP_ACTION_BLOCK`` with ``FWPS_CLASSIFY_OUT_FLAG_ABSORB``. It "shows a prompt": the
   user's answer arrives :attr:`answers` seconds later (``wfpsim.clock.schedule_after``); the
   driver remembers it and calls ``FwpsCompleteOperation0``. A user who does not answer within
   :attr:`prompt_timeout` seconds gets a BLOCK (the driver completes the pend itself: a pend
   must always be completed).

The three subclasses are the pitfalls a notebook tries: :class:`ForgetfulPromptDriver` never
completes, :class:`SilentReauthPromptDriver` completes but does not answer in the
reauthorization, :class:`FlowEstablishedPromptDriver` pends at ``ALE_FLOW_ESTABLISHED_V4``,
where there is nothing to pend. Every step logs a DbgPrint line for a scenario's ``expect.log``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.clock import schedule_after
from wfpsim.errors import WfpError
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWP_CONDITION_FLAG_IS_REAUTHORIZE,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.kernel import DbgPrint
from wfpsim.netbuffers import Out
from wfpsim.objects import Callout, Filter
from wfpsim.pend import FwpsCompleteOperation0, FwpsPendOperation0

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

PROMPT_CALLOUT_GUID = uuid.UUID("3f6d0a52-8b1e-4c55-a3c0-5e2f7d9a1c01")
ALLOW, BLOCK = "allow", "block"


class PromptFirewallDriver:
    """Pend connects of applications without a rule; the user's answer completes them.

    Attributes:
        layer: the layer of its callout and filter.
        rules: the decision per application path (lower case), ``"allow"`` or ``"block"``;
            the user's answers are added here.
        answers: the user, simulated: application path (lower case) -> (seconds until the user
            clicks, ``"allow"`` or ``"block"``). An application not listed is never answered.
        prompt_timeout: seconds after which an unanswered prompt counts as ``"block"``.
        complete: call ``FwpsCompleteOperation0`` (False: the forgotten completion).
        decide_on_reauth: answer in the reauthorization (False: say nothing there).
    """

    name = "PromptFirewall"
    callout_name = "prompt-firewall"
    callout_key = PROMPT_CALLOUT_GUID
    layer = "ALE_AUTH_CONNECT_V4"
    answers: ClassVar[dict[str, tuple[float, str]]] = {
        r"c:\tools\curl.exe": (5.0, ALLOW),
        r"c:\tools\nc.exe": (3.0, BLOCK),
    }
    prompt_timeout = 15.0
    complete = True
    decide_on_reauth = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.rules: dict[str, str] = {r"c:\windows\system32\svchost.exe": ALLOW}
        #: completion context -> application, for the prompts still open
        self.open_prompts: dict[int, str] = {}

    # -- DriverEntry / DriverUnload ---------------------------------------------------------
    def driver_entry(self) -> int:
        """Register the callout, add it and its filter (a dynamic session)."""
        with self.engine.kernel_context():
            try:
                self.engine.register_callout(self.callout_key, self.classify, None, None)
                self.session = self.engine.open_session(self.name, dynamic=True)
                with self.session.transaction():
                    callout = Callout(self.callout_name, self.layer, self.callout_key)
                    self.session.add_callout(callout)
                    self.session.add_filter(
                        Filter(
                            f"{self.callout_name}: ask about unknown applications",
                            self.layer,
                            "CALLOUT_TERMINATING",
                            callout=self.callout_key,
                        )
                    )
            except WfpError as err:
                DbgPrint("%s failed to load, status 0x%08x", self.name, err.status)
                return STATUS_FAILED_DRIVER_ENTRY
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session (its filter goes) and unregister the callout."""
        with self.engine.kernel_context():
            if self.session is not None:
                self.session.close()
                self.session = None
            self.engine.unregister_callout(self.callout_key)
            DbgPrint("%s unloaded, %d prompts still open", self.name, len(self.open_prompts))

    # -- the callout ---------------------------------------------------------------------------
    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Decide from a rule, or pend and ask the user."""
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        app = (in_meta_values.process_path or "").lower()
        flags = in_fixed_values.get("FLAGS") or 0
        if flags & FWP_CONDITION_FLAG_IS_REAUTHORIZE:
            if not self.decide_on_reauth:
                DbgPrint("%s: reauthorization for %s: (forgot to answer)", self.name, app)
                return
            DbgPrint(
                "%s: reauthorization for %s: the user said %s",
                self.name,
                app,
                self.rules.get(app, BLOCK),
            )
            self.decide(classify_out, self.rules.get(app, BLOCK))
            return
        if app in self.rules:
            self.decide(classify_out, self.rules[app])
            return
        context: Out[int] = Out()
        status = FwpsPendOperation0(in_meta_values.completion_handle, context)
        if status != STATUS_SUCCESS or context.value is None:
            DbgPrint("%s: cannot pend (status 0x%08x): blocking %s", self.name, status, app)
            self.decide(classify_out, BLOCK)
            return
        self.ask_the_user(context.value, app)
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    def decide(self, classify_out: ClassifyOut, verdict: str) -> None:
        """A hard PERMIT or BLOCK."""
        classify_out.action_type = FWP_ACTION_PERMIT if verdict == ALLOW else FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    # -- the prompt: work done later, outside classifyFn ----------------------------------------
    def ask_the_user(self, context: int, app: str) -> None:
        """Show the prompt: schedule the user's answer and the driver's own timeout."""
        DbgPrint("%s: pended the connect of %s: asking the user", self.name, app)
        self.open_prompts[context] = app
        if not self.complete:
            return
        answer = self.answers.get(app)
        if answer is not None:
            delay, verdict = answer
            schedule_after(
                delay, lambda: self.answered(context, verdict, "the user"), f"user: {verdict}"
            )
        schedule_after(
            self.prompt_timeout,
            lambda: self.answered(context, BLOCK, "no answer in time"),
            "prompt timeout",
        )

    def answered(self, context: int, verdict: str, who: str) -> None:
        """The prompt closed: remember the decision, complete the pended connect once."""
        app = self.open_prompts.pop(context, None)
        if app is None:
            return  # already answered (the timeout after the user, or the other way round)
        self.rules[app] = verdict
        DbgPrint("%s: %s: %s for %s", self.name, who, verdict, app)
        FwpsCompleteOperation0(context, None)


class ForgetfulPromptDriver(PromptFirewallDriver):
    """Pitfall: pends, asks, never calls ``FwpsCompleteOperation0``: the connect times out."""

    name = "ForgetfulPrompt"
    callout_name = "forgetful-prompt"
    callout_key = uuid.UUID("3f6d0a52-8b1e-4c55-a3c0-5e2f7d9a1c02")
    complete = False


class SilentReauthPromptDriver(PromptFirewallDriver):
    """Pitfall: completes the pend but writes nothing in the reauthorization."""

    name = "SilentReauthPrompt"
    callout_name = "silent-reauth-prompt"
    callout_key = uuid.UUID("3f6d0a52-8b1e-4c55-a3c0-5e2f7d9a1c03")
    decide_on_reauth = False


class FlowEstablishedPromptDriver(PromptFirewallDriver):
    """Pitfall: pends at ALE_FLOW_ESTABLISHED_V4, where no completion handle is given."""

    name = "FlowEstablishedPrompt"
    callout_name = "flow-established-prompt"
    callout_key = uuid.UUID("3f6d0a52-8b1e-4c55-a3c0-5e2f7d9a1c04")
    layer = "ALE_FLOW_ESTABLISHED_V4"


__all__ = [
    "FlowEstablishedPromptDriver",
    "ForgetfulPromptDriver",
    "PromptFirewallDriver",
    "SilentReauthPromptDriver",
]
