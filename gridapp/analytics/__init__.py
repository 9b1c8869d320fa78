"""KPIs of the closed loop and the district review dashboard (辖区统计看板). Rules: rules.py."""
