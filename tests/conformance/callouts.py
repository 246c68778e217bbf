"""Python callouts used by the conformance scenarios (imported as ``callouts:NAME``)."""

from wfpsim.ids import FWP_ACTION_BLOCK, FWPS_RIGHT_ACTION_WRITE


def crash(
    in_fixed_values,
    in_meta_values,
    layer_data,
    classify_context,
    filter,
    flow_context,
    classify_out,
):
    """A buggy callout: raises instead of deciding."""
    raise ZeroDivisionError("division by zero in the driver")


def block_port_23(
    in_fixed_values,
    in_meta_values,
    layer_data,
    classify_context,
    filter,
    flow_context,
    classify_out,
):
    """Blocks telnet when it may write, reading the port by its FWPS_FIELD index."""
    from wfpsim.ids import FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT as PORT

    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    if in_fixed_values.incoming_value[PORT].value.uint16 == 23:
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE


def write_none(
    in_fixed_values,
    in_meta_values,
    layer_data,
    classify_context,
    filter,
    flow_context,
    classify_out,
):
    """Writes FWP_ACTION_NONE, which callouts are not supposed to return."""
    classify_out.action_type = 0x7
