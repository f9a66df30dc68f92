"""考核与报表: KPIs, rankings, hotspots, repeat complaints and the monthly report, computed in SQL."""
