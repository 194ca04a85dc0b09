"""How documents' kinds and urgencies read in Vietnamese (registers, pages, printouts).

Kept apart from engine/documents/printing.py so that pages showing a label do not load fpdf2 and openpyxl (about
70 MB of memory per web process) until someone prints or exports.
"""

DOC_TYPES = {"cong_van": "Công văn", "quyet_dinh": "Quyết định", "chi_thi": "Chỉ thị", "nghi_quyet": "Nghị quyết",
             "ket_luan": "Kết luận", "quy_dinh": "Quy định", "thong_bao": "Thông báo", "huong_dan": "Hướng dẫn",
             "ke_hoach": "Kế hoạch", "bao_cao": "Báo cáo", "to_trinh": "Tờ trình", "giay_moi": "Giấy mời",
             "khac": "Văn bản"}
URGENCY = {"thuong": "Thường", "khan": "Khẩn", "thuong_khan": "Thượng khẩn", "hoa_toc": "Hỏa tốc"}
