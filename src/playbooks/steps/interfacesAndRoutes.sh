# part of: prelude.sh
# The pod's interfaces and routes: ip where the image has it, else ifconfig and route.
if command -v ip >/dev/null 2>&1; then
  echo "== interfaces"; ip -brief address 2>/dev/null || ip address
  echo "== routes"; ip route; ip -6 route 2>/dev/null
else
  echo "== interfaces"; ifconfig -a
  echo "== routes"; route -n
fi
