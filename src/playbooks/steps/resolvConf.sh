# part of: prelude.sh
# The pod's DNS configuration. Every container of a pod gets the same resolv.conf from the kubelet, so the debug
# container's is the pod's.
echo "== /etc/resolv.conf"
if [ -r /etc/resolv.conf ]; then cat /etc/resolv.conf
elif [ -r "/proc/$TARGET_PID/root/etc/resolv.conf" ]; then echo "(the target's)"; cat "/proc/$TARGET_PID/root/etc/resolv.conf"
else echo "no /etc/resolv.conf in the debug container nor in the target: this pod has no DNS configuration (dnsPolicy None without dnsConfig, or a node that writes none)"
fi
echo "== /etc/hosts"
cat /etc/hosts 2>/dev/null || echo "no /etc/hosts"
